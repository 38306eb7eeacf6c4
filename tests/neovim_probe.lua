-- Run by tests/test_neovim.py inside a headless Neovim: load the shipped lsp/nvim/segdsl.lua,
-- open the .seg file, wait (bounded) for the server's diagnostics, ask for completion at the
-- given cursors, and write what Neovim received as JSON. Every wait has a timeout, and any
-- error ends up in the JSON instead of leaving Neovim running.
local env = vim.env
local timeout = tonumber(env.SEGDSL_NVIM_TIMEOUT_MS)
local result = { notifications = {}, published = {} }

vim.notify = function(msg, level)
  table.insert(result.notifications, { message = msg, level = level })
end

local function run()
  package.path = env.SEGDSL_NVIM_CONFIG_DIR .. "/?.lua;" .. package.path
  require("segdsl").setup({
    cmd = vim.fn.json_decode(env.SEGDSL_NVIM_CMD),
    handlers = {
      -- Keep the raw notification (LSP positions) and let Neovim handle it as usual.
      ["textDocument/publishDiagnostics"] = function(err, params, ctx, config)
        table.insert(result.published, params)
        return vim.lsp.diagnostic.on_publish_diagnostics(err, params, ctx, config)
      end,
    },
  })
  vim.cmd("edit! " .. vim.fn.fnameescape(env.SEGDSL_NVIM_FILE))
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype
  result.commentstring = vim.bo[buf].commentstring
  -- A client is listed for the buffer once the server has answered `initialize`.
  result.initialized_in_time = vim.wait(timeout, function()
    return next(vim.lsp.buf_get_clients(buf)) ~= nil
  end, 20)
  result.clients = {}
  for _, client in pairs(vim.lsp.buf_get_clients(buf)) do
    table.insert(result.clients, { name = client.name, offset_encoding = client.offset_encoding,
                                   root_dir = client.config.root_dir })
  end
  if not result.initialized_in_time then
    return
  end
  result.diagnostics_in_time = vim.wait(timeout, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end
  result.completions = {}
  for _, cursor in ipairs(vim.fn.json_decode(env.SEGDSL_NVIM_CURSORS)) do
    vim.api.nvim_win_set_cursor(0, cursor)  -- {1-based line, 0-based byte column}
    local params = vim.lsp.util.make_position_params()
    local responses, err = vim.lsp.buf_request_sync(buf, "textDocument/completion", params,
      timeout)
    local entry = { cursor = cursor, position = params.position, error = err, labels = {} }
    for _, response in pairs(responses or {}) do
      if response.err then
        entry.error = response.err.message
      end
      local items = response.result and (response.result.items or response.result) or {}
      for _, item in ipairs(items) do
        table.insert(entry.labels, item.label)
      end
    end
    table.insert(result.completions, entry)
  end
  -- Fix the error in the buffer, as a user would: the change reaches the server, whose next
  -- diagnostics no longer hold it.
  local fix = vim.fn.json_decode(env.SEGDSL_NVIM_FIX)  -- {0-based line, byte col, end col, text}
  vim.api.nvim_buf_set_text(buf, fix[1], fix[2], fix[1], fix[3], { fix[4] })
  result.cleared_in_time = vim.wait(timeout, function()
    return #vim.diagnostic.get(buf) == 0
  end, 20)
  result.diagnostics_after_fix = #vim.diagnostic.get(buf)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  result.error = err
end
local out = io.open(env.SEGDSL_NVIM_OUT, "w")
out:write(vim.fn.json_encode(result))
out:close()
vim.cmd("qall!")
