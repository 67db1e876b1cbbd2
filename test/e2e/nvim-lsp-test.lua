-- Neovim 0.7 (Debian 12) headless LSP client test of the Study language server (adapted from
-- /work/shared/recipes/real-clients/part2-neovim-lsp.sh). Env: LSP_CMD (JSON array), TEST_FILE, RESULT_FILE,
-- EXPECT_DIAG, EXPECT_DIAG_LINE/COL/END_COL (0-based), HOVER_LINE/HOVER_CHAR (0-based), EXPECT_HOVER.
local function E(name, default) local v = os.getenv(name); if v == nil or v == '' then return default end return v end
local cmd = vim.fn.json_decode(os.getenv('LSP_CMD'))
vim.lsp.set_log_level(E('LSP_LOG_LEVEL', 'warn'))
local file, result_file = os.getenv('TEST_FILE'), os.getenv('RESULT_FILE')
local t0 = vim.loop.hrtime()
local function ms() return math.floor((vim.loop.hrtime() - t0) / 1e6) end
local v = vim.version()
local out = { nvim = v.major .. '.' .. v.minor .. '.' .. v.patch, steps = {} }
local function step(name, value) table.insert(out.steps, { t_ms = ms(), step = name, value = value }) end
local function finish(code, err)
  out.ok = (code == 0); out.error = err; out.total_ms = ms()
  local f = assert(io.open(result_file, 'w')); f:write(vim.fn.json_encode(out) .. '\n'); f:close()
  for _, c in pairs(vim.lsp.get_active_clients()) do c.stop(true) end
  if code == 0 then vim.cmd('qall!') else vim.cmd('cquit ' .. code) end
end
local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'study'
  local exited
  local config = { name = 'study', cmd = cmd, root_dir = vim.fn.fnamemodify(file, ':p:h'),
                   init_options = { trusted = true },
                   on_exit = function(code, signal) exited = ('server exited: code ' .. code .. ', signal ' .. signal) end }
  local id
  if vim.lsp.start then id = vim.lsp.start(config)
  else id = vim.lsp.start_client(config); vim.lsp.buf_attach_client(bufnr, id) end
  assert(id, 'could not start LSP client')
  local client = vim.lsp.get_client_by_id(id)
  vim.wait(20000, function() return exited or client.initialized == true or (client.server_capabilities or client.resolved_capabilities) ~= nil end, 20)
  assert(not exited, exited)
  assert(client.initialized == true or (client.server_capabilities or client.resolved_capabilities) ~= nil, 'initialize timeout')
  step('initialized', client.name)
  local want_line, want_msg = tonumber(E('EXPECT_DIAG_LINE', '10')), E('EXPECT_DIAG', "did you mean 'age'?")
  local want_col, want_end = tonumber(E('EXPECT_DIAG_COL', '14')), tonumber(E('EXPECT_DIAG_END_COL', '18'))
  local found
  assert(vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do if d.message:find(want_msg, 1, true) then found = d end end
    return found ~= nil or exited ~= nil
  end, 20), 'no diagnostic containing "' .. want_msg .. '" within 30s; got ' .. vim.inspect(vim.diagnostic.get(bufnr)))
  assert(not exited, exited)
  local diags = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(diags, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, severity = d.severity, message = d.message, source = d.source })
  end
  step('diagnostics', diags)
  assert(found.lnum == want_line and found.col == want_col and found.end_col == want_end and (found.end_lnum == nil or found.end_lnum == want_line),
    string.format('diagnostic range %d:%d-%s:%d, expected %d:%d-%d:%d', found.lnum, found.col, tostring(found.end_lnum), found.end_col, want_line, want_col, want_line, want_end))
  assert(found.severity == vim.diagnostic.severity.ERROR, 'expected an error, got severity ' .. tostring(found.severity))
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) },
                   position = { line = tonumber(E('HOVER_LINE', '10')), character = tonumber(E('HOVER_CHAR', '6')) } }
  local res, rerr = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 10000)
  assert(res, 'hover request failed: ' .. tostring(rerr))
  local hover; for _, r in pairs(res) do if r.result then hover = r.result end end
  assert(hover, 'empty hover')
  local value = type(hover.contents) == 'table' and (hover.contents.value or vim.inspect(hover.contents)) or tostring(hover.contents)
  step('hover', value)
  assert(value:find(E('EXPECT_HOVER', 'continuous (numeric) explanatory variables'), 1, true), 'unexpected hover: ' .. value)
end)
if ok then finish(0) else finish(1, tostring(err)) end
