// For the CLI bundle (scripts/bundle.mjs): the two names Langium's core document builder imports from
// vscode-languageserver-protocol, for the errors of the LSP requests it rejects (waitUntil), which a headless
// run never makes. The protocol package is ~150 KiB of LSP types and a JSON-RPC connection that the CLI
// would otherwise compile and evaluate at every start. The values are the protocol's (LSP 3.17).
export class ResponseError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = typeof code === 'number' ? code : -32001;
    this.data = data;
  }

  toJson() {
    return { code: this.code, message: this.message, ...(this.data !== undefined ? { data: this.data } : {}) };
  }
}

export const LSPErrorCodes = {
  lspReservedErrorRangeStart: -32899,
  RequestFailed: -32803,
  ServerCancelled: -32802,
  ContentModified: -32801,
  RequestCancelled: -32800,
  lspReservedErrorRangeEnd: -32800,
};
