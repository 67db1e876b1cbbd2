/**
 * The Study language server. Started by the VS Code extension over IPC (or `--stdio`):
 * `node packages/language/dist/server/main.js --stdio`.
 */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { createStudyServices } from '../study-module.js';

const connection = createConnection(ProposedFeatures.all);
const { shared } = createStudyServices({ connection, ...NodeFileSystem });

process.on('uncaughtException', (e) => connection.console.error(`study language server: ${e?.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`study language server: ${(e as Error)?.stack ?? e}`));

startLanguageServer(shared);
