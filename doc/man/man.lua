-- Turns the project's markdown documents into one man page (pandoc -t man).
-- Input: a header with `## NAME` / `## SYNOPSIS`, then one or more documents,
-- each starting with a `# Title`.
--  * The first document's title is dropped and its `##` sections become man
--    sections (.SH), `###` subsections (.SS).
--  * A later document's title becomes a man section and its `##`/`###`
--    headings become subsections.
--  * Sections about the project's own tests are left out of man pages.
--  * Links to other documents become the man page that holds them, if any;
--    other links keep their text only (man pages have no hyperlinks here).

local MAN_OF = {
  ["iotsafe-tool.md"] = "iotsafe-tool(1)",
  ["simulator.md"] = "iotsafe-sim(1)",
  ["modem.md"] = "iotsafe-sim(1)",
  ["provider.md"] = "provider-iotsafe(7)",
  ["uri.md"] = "provider-iotsafe(7)",
}
local DROP = { ["Tests"] = true, ["End-to-end tests"] = true }

-- Pipe tables escape "|" inside code spans as "\|".
function Code(el)
  el.text = el.text:gsub("\\|", "|")
  return el
end

-- Tables become tagged paragraphs (.TP), which fit any terminal width: the
-- first cell is the tag, the other cells (with their column heading, from
-- the third column on) the paragraph.
function Table(el)
  local t = pandoc.utils.to_simple_table(el)
  local items = pandoc.List()
  for _, row in ipairs(t.rows) do
    local term = pandoc.utils.blocks_to_inlines(row[1])
    local def = pandoc.List()
    for i = 2, #row do
      local inl = pandoc.utils.blocks_to_inlines(row[i])
      if #inl > 0 then
        if i > 2 and t.headers[i] and #t.headers[i] > 0 then
          local h = pandoc.utils.stringify(t.headers[i])
          inl = pandoc.List({ pandoc.Emph({ pandoc.Str(h .. ":") }), pandoc.Space() }) .. inl
        end
        def:insert(pandoc.Plain(inl))
      end
    end
    items:insert({ term, { def } })
  end
  return pandoc.DefinitionList(items)
end

function Link(el)
  local target = el.target:match("([^/#]+%.md)")
  local man = target and MAN_OF[target]
  if man then
    local out = pandoc.List(el.content)
    out:insert(pandoc.Str(" (" .. man .. ")"))
    return out
  end
  return el.content
end

-- Man page section titles are upper case.
function upper(inlines)
  return { pandoc.Str(pandoc.text.upper(pandoc.utils.stringify(inlines))) }
end

function Pandoc(doc)
  local out = pandoc.List()
  local titles = 0
  local drop_level = nil
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" then
      if drop_level and b.level <= drop_level then
        drop_level = nil
      end
      if not drop_level and DROP[pandoc.utils.stringify(b.content)] then
        drop_level = b.level
      end
    end
    if not drop_level then
      if b.t == "Header" then
        if b.level == 1 then
          titles = titles + 1
          if titles == 1 then
            out:insert(pandoc.Header(1, { pandoc.Str("DESCRIPTION") }))
          else
            out:insert(pandoc.Header(1, upper(b.content), b.attr))
          end
        elseif titles <= 1 then
          local level = math.min(b.level - 1, 2)
          out:insert(pandoc.Header(level, level == 1 and upper(b.content) or b.content, b.attr))
        else
          out:insert(pandoc.Header(2, b.content, b.attr))
        end
      else
        out:insert(b)
      end
    end
  end
  return pandoc.Pandoc(out, doc.meta)
end
