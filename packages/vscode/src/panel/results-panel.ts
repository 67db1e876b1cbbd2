/**
 * The Results panel (extension side): one webview panel that shows the last `study/run` result of a spec.
 * Strict CSP: scripts only with the page's nonce (out/webview.js), no network (default-src 'none'), local
 * resources only from the extension's out/ folder. The webview asks for copies; the clipboard is written here.
 */
import * as vscode from 'vscode';
import { reportTables, tableCsv, tableMarkdown, tableText, type ReportTable } from '@study/engine';
import type { FromWebview, RunResult, ToWebview } from '../protocol.js';

export interface PanelHost {
  run(uri: vscode.Uri): Promise<void>;
  exportReport(uri: vscode.Uri): Promise<void>;
  isTrusted(): boolean;
}

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

export function basename(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.toString();
}

export class ResultsPanel {
  static readonly viewType = 'study.results';
  private static current: ResultsPanel | undefined;

  private tables: ReportTable[] = [];
  private result: RunResult | null = null;
  private running = false;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  static get active(): ResultsPanel | undefined {
    return ResultsPanel.current;
  }

  /** Show (create or reveal) the panel for `uri`. */
  static show(context: vscode.ExtensionContext, host: PanelHost, uri: vscode.Uri, result: RunResult | null, opts: { preserveFocus?: boolean } = {}): ResultsPanel {
    const column = vscode.ViewColumn.Beside;
    if (ResultsPanel.current) {
      ResultsPanel.current.panel.reveal(column, opts.preserveFocus);
    } else {
      const panel = vscode.window.createWebviewPanel(ResultsPanel.viewType, 'Study Results', { viewColumn: column, preserveFocus: opts.preserveFocus }, {
        enableScripts: true,
        enableCommandUris: false,
        enableForms: false,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'out')],
      });
      ResultsPanel.current = new ResultsPanel(panel, context, host);
    }
    ResultsPanel.current.update(uri, result);
    return ResultsPanel.current;
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly context: vscode.ExtensionContext, private readonly host: PanelHost) {
    this.uri = vscode.Uri.parse('untitled:none');
    panel.webview.html = this.html();
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m), null, this.disposables);
  }

  uri: vscode.Uri;

  update(uri: vscode.Uri, result: RunResult | null): void {
    this.uri = uri;
    this.result = result;
    this.tables = result ? reportTables(result.report) : [];
    this.panel.title = `Study Results: ${basename(uri)}`;
    this.post();
  }

  setRunning(running: boolean): void {
    this.running = running;
    if (this.ready) void this.panel.webview.postMessage({ type: 'running', running } satisfies ToWebview);
  }

  setStale(stale: boolean): void {
    if (this.result) this.result = { ...this.result, stale };
    if (this.ready) void this.panel.webview.postMessage({ type: 'stale', stale } satisfies ToWebview);
  }

  private post(): void {
    if (!this.ready) return;
    const msg: ToWebview = { type: 'results', uri: this.uri.toString(), fileName: basename(this.uri), trusted: this.host.isTrusted(), running: this.running, result: this.result, tables: this.tables };
    void this.panel.webview.postMessage(msg);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        return;
      case 'copy': {
        const t = this.tables.find((x) => x.id === m.id);
        if (!t) return;
        const text = m.format === 'csv' ? tableCsv(t) : m.format === 'markdown' ? tableMarkdown(t) + '\n' : tableText(t) + '\n';
        await vscode.env.clipboard.writeText(text);
        vscode.window.setStatusBarMessage(`Study: copied “${t.title}” as ${m.format === 'text' ? 'text' : m.format === 'csv' ? 'CSV' : 'Markdown'}`, 4000);
        return;
      }
      case 'run':
        if (this.host.isTrusted()) await this.host.run(this.uri);
        return;
      case 'export':
        if (this.host.isTrusted()) await this.host.exportReport(this.uri);
        return;
      case 'openSpec':
        await vscode.window.showTextDocument(this.uri, { viewColumn: vscode.ViewColumn.One });
        return;
    }
  }

  private html(): string {
    const webview = this.panel.webview;
    const n = nonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'out', 'webview.js'));
    // Styles: 'unsafe-inline' (no nonce) because the figure renderer (Observable Plot) emits <style> elements and
    // style attributes; scripts are locked to this page's nonce; nothing may be fetched (default-src 'none').
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'unsafe-inline'`,
      `script-src 'nonce-${n}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Study Results</title>
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 16px 32px; }
h1 { font-size: 1.4em; margin: 12px 0 2px; }
h2 { font-size: 1.15em; margin: 22px 0 6px; border-bottom: 1px solid var(--vscode-panel-border, #8884); padding-bottom: 3px; }
h3 { font-size: 1em; margin: 0; display: inline; }
.meta { margin: 0 0 8px; opacity: .8; }
.provenance { margin: -4px 0 8px; opacity: .65; font-size: .9em; overflow-wrap: anywhere; }
.banner { background: var(--vscode-inputValidation-warningBackground, #8a6d0033); border: 1px solid var(--vscode-inputValidation-warningBorder, #b89500); padding: 6px 8px; margin: 6px 0; }
.actions { display: flex; gap: 8px; align-items: center; margin: 6px 0; flex-wrap: wrap; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; font: inherit; }
button:hover { background: var(--vscode-button-hoverBackground); }
button:disabled { opacity: .6; cursor: default; }
button.secondary, button.copy { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
button.copy { padding: 1px 7px; font-size: .85em; }
.toolbar { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 6px 0; z-index: 2; display: flex; gap: 10px; align-items: center; }
#search { flex: 0 1 420px; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, #8886); padding: 4px 6px; font: inherit; }
nav { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: .9em; margin-bottom: 4px; }
nav a { color: var(--vscode-textLink-foreground); text-decoration: none; }
section.table { margin: 14px 0; }
.table-head { display: flex; gap: 12px; align-items: baseline; flex-wrap: wrap; margin-bottom: 4px; }
.table-head .model { opacity: .6; font-weight: normal; }
.buttons { display: inline-flex; gap: 4px; }
.scroll { overflow-x: auto; }
table.report { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
table.report th, table.report td { padding: 2px 10px; white-space: nowrap; }
table.report th { border-bottom: 1px solid var(--vscode-foreground); font-weight: 600; }
table.report tbody tr:nth-child(even) { background: var(--vscode-list-hoverBackground, #8881); }
.l { text-align: left; } .r { text-align: right; }
.nomatch { display: none; }
#figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 560px), 1fr)); gap: 8px 24px; align-items: start; }
#figures > h2 { grid-column: 1 / -1; }
figure { margin: 8px 0 16px; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figure svg { max-width: 100%; height: auto; background: #fff; color: #222; }
.diagnostics .error { color: var(--vscode-errorForeground); }
.untrusted { color: var(--vscode-disabledForeground, #888); }
.empty { margin-top: 24px; opacity: .8; }
</style>
</head>
<body>
<div id="root"><p class="empty">Loading…</p></div>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    ResultsPanel.current = undefined;
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
