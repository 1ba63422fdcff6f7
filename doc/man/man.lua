-- Turns the project's markdown documents into one man page (pandoc -t man).
-- Input: the page's own source doc/man/PAGE.md, whose `##` headings are man
-- sections, then zero or more documents, each starting with a `# Title`.
--  * NAME and SYNOPSIS of doc/man/PAGE.md open the page; its other sections
--    (ENVIRONMENT, FILES, SEE ALSO...) close it, after the documents, so a
--    page made of documents still ends as man pages do. A page with no
--    documents (iotsafe-sim.1) keeps its own order.
--  * The first document's title is dropped (the text under it is the
--    DESCRIPTION) and its `##` sections become man sections (.SH), `###`
--    subsections (.SS).
--  * A later document's title becomes a man section and its `##`/`###`
--    headings become subsections.
--  * Sections about the project's own tests are left out of man pages.
--  * Links to a document or man page source become the man page that holds
--    it ("text (page(N))"; just the text when it already names the page or
--    the link stays within the page). Other links keep their text, and a
--    file name as text becomes its path in the source tree (doc/keyfile.md):
--    man pages have no hyperlinks here.

local MAN_OF = {
  ["iotsafe-tool.md"] = "iotsafe-tool(1)",
  ["iotsafe-tool.1.md"] = "iotsafe-tool(1)",
  ["iotsafe-sim.1.md"] = "iotsafe-sim(1)",
  ["provider.md"] = "provider-iotsafe(7)",
  ["uri.md"] = "provider-iotsafe(7)",
  ["modem.md"] = "provider-iotsafe(7)",
  ["provider-iotsafe.7.md"] = "provider-iotsafe(7)",
  ["pkcs11.md"] = "iotsafe-pkcs11(8)",
  ["iotsafe-pkcs11.8.md"] = "iotsafe-pkcs11(8)",
}
local DROP = { ["Tests"] = true, ["End-to-end tests"] = true }
local OPENING = { ["NAME"] = true, ["SYNOPSIS"] = true }

local this_page = nil -- "name(section)" of the page being made, from the metadata

local function read_meta(meta)
  local title = meta.title and pandoc.utils.stringify(meta.title) or ""
  local section = meta.section and pandoc.utils.stringify(meta.section) or ""
  this_page = pandoc.text.lower(title) .. "(" .. section .. ")"
end

-- Pipe tables escape "|" inside code spans as "\|".
local function code(el)
  el.text = el.text:gsub("\\|", "|")
  return el
end

-- Tables become tagged paragraphs (.TP), which fit any terminal width: the
-- first cell is the tag, the other cells (with their column heading, from
-- the third column on) the paragraph.
local function table_to_list(el)
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
        if #def > 0 then
          def:insert(pandoc.RawInline("man", "\n.br\n")) -- one line per cell, indented
        end
        def:extend(inl)
      end
    end
    items:insert({ term, { { pandoc.Plain(def) } } })
  end
  return pandoc.DefinitionList(items)
end

local function link(el)
  local target = el.target:gsub("#.*", "")
  local file = target:match("([^/]+%.md)$")
  local text = pandoc.utils.stringify(el.content)
  local man = file and MAN_OF[file]
  if man then
    if man == this_page or text == man then
      if man == this_page and text:match("%.md$") then
        -- "see uri.md" would name nothing within the page itself
        io.stderr:write("man.lua: " .. this_page .. ": link text '" .. text ..
          "' names a document of this page; say which section\n")
      end
      return el.content
    end
    local out = pandoc.List(el.content)
    out:insert(pandoc.Str(" (" .. man .. ")"))
    return out
  end
  if file and (text == file or text == target:gsub("^%.%./", "")) then
    -- links are relative to doc/: name the file from the top of the tree
    local path = target:match("^%.%./(.*)") or ("doc/" .. target)
    return { pandoc.Code(path) }
  end
  return el.content
end

-- Man page section titles are upper case.
local function upper(inlines)
  return { pandoc.Str(pandoc.text.upper(pandoc.utils.stringify(inlines))) }
end

local function assemble(doc)
  local opening, body, closing = pandoc.List(), pandoc.List(), pandoc.List()
  local titles = 0
  local drop_level = nil
  local dest = opening -- where the page's own sections go, until the first document
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
      if b.t == "Header" and b.level == 1 then
        titles = titles + 1
        dest = body
        if titles == 1 then
          b = pandoc.Header(1, { pandoc.Str("DESCRIPTION") })
        else
          b = pandoc.Header(1, upper(b.content), b.attr)
        end
      elseif b.t == "Header" and titles <= 1 then
        local level = math.min(b.level - 1, 2)
        if titles == 0 and level == 1 then
          dest = OPENING[pandoc.utils.stringify(b.content)] and opening or closing
        end
        b = pandoc.Header(level, level == 1 and upper(b.content) or b.content, b.attr)
      elseif b.t == "Header" then
        b = pandoc.Header(2, b.content, b.attr)
      end
      dest:insert(b)
    end
  end
  return pandoc.Pandoc(opening .. body .. closing, doc.meta)
end

return {
  { Meta = read_meta },
  { Code = code, Table = table_to_list, Link = link },
  { Pandoc = assemble },
}
