#!/bin/bash
. "$SOURCE_ROOT/test/e2e/harness.sh"
skip_all "not written yet"
