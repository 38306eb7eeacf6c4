-- segdsl for Neovim 0.7 and later: the filetype `segdsl` for *.seg files, and the segdsl
-- language server (`segdsl lsp`, stdio) attached to every such buffer.
--
-- Install: copy this file to ~/.config/nvim/lua/segdsl.lua and put in your init.lua
--     require("segdsl").setup()
-- or, when `segdsl` is not on the PATH,
--     require("segdsl").setup({ cmd = { "/path/to/venv/bin/segdsl", "lsp" } })
-- Options: cmd, root_markers (the nearest folder above the file holding one of them is the
-- server's root; else the file's folder), and on_attach, capabilities, handlers as for
-- vim.lsp.start_client.
local M = {}

M.defaults = {
  cmd = { "segdsl", "lsp" },
  root_markers = { "segdsl.toml", ".git" },
}

local uv = vim.uv or vim.loop

local function find_root(file, markers)
  local dir = vim.fn.fnamemodify(file, ":p:h")
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

-- Neovim 0.7 has no vim.lsp.start: one client per root, kept here, is attached by hand.
local clients = {}

local function start_or_reuse(config, bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients[config.root_dir]
  if id == nil or vim.lsp.client_is_stopped(id) then
    id = vim.lsp.start_client(config)
    clients[config.root_dir] = id
  end
  if id ~= nil then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

local function attach(opts, bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr)
  local config = {
    name = "segdsl",
    cmd = opts.cmd,
    root_dir = find_root(file, opts.root_markers) or vim.fn.fnamemodify(file, ":p:h"),
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
    handlers = opts.handlers,
  }
  -- A program that cannot be started is reported by Neovim itself ("Spawning language
  -- server with cmd ... failed").
  start_or_reuse(config, bufnr)
end

function M.setup(opts)
  -- A shallow merge: a `cmd` given replaces the default list instead of merging into it.
  opts = vim.tbl_extend("force", M.defaults, opts or {})
  local group = vim.api.nvim_create_augroup("segdsl", { clear = true })
  vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
    group = group,
    pattern = "*.seg",
    callback = function(args)
      vim.bo[args.buf].filetype = "segdsl"
    end,
  })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "segdsl",
    callback = function(args)
      vim.bo[args.buf].commentstring = "# %s"
      vim.bo[args.buf].comments = ":#"
      attach(opts, args.buf)
    end,
  })
end

return M
