// The status page's style sheet, served from the app (GET /api/status/assets/page.css): light and dark through
// prefers-color-scheme, a table at desktop width that becomes one card per identity path on a phone.
export const PAGE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5d6670; --line: #dde1e6; --focus: #2563eb;
  --ok: #16794a; --ok-bg: #e8f6ee; --fail: #b42318; --fail-bg: #fdecea; --stale: #8a5a00; --stale-bg: #fdf4e1;
  --none: #6b7280; --none-bg: #eef0f3; --code-bg: #f0f2f5; --on-focus: #ffffff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1216; --panel: #171b21; --text: #e6e8eb; --muted: #9aa3ad; --line: #2a3038; --focus: #60a5fa;
    --ok: #4ade80; --ok-bg: #12291c; --fail: #f87171; --fail-bg: #341717; --stale: #fbbf24; --stale-bg: #302511;
    --none: #9ca3af; --none-bg: #20252c; --code-bg: #0b0e12; --on-focus: #0b1220;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
#app { max-width: 1180px; margin: 0 auto; padding: 20px 20px 40px; }
h1 { font-size: 1rem; font-weight: 600; margin: 0; color: var(--muted); letter-spacing: .02em; }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85em; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.top { display: grid; grid-template-columns: minmax(220px, 1fr) 2fr; gap: 8px 28px; align-items: start;
  background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 16px 20px; margin-bottom: 16px; }
.verdict { white-space: nowrap; font-size: 1.6rem; font-weight: 700; margin: 4px 0 0; display: flex; align-items: center; gap: 10px; }
.verdict .dot { width: 14px; height: 14px; border-radius: 50%; background: var(--none); flex: none; }
.v-ok .dot { background: var(--ok); } .v-degraded .dot { background: var(--stale); } .v-failing .dot { background: var(--fail); }
.v-ok { color: var(--ok); } .v-failing { color: var(--fail); } .v-degraded { color: var(--stale); }
.counts { margin: 2px 0 0; color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 6px 20px; margin: 0; }
.facts div { min-width: 0; }
.facts .wide { grid-column: 1 / -1; }
.facts dt { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.warn { color: var(--fail); font-weight: 600; }
.fact-note { display: block; font-size: .8rem; color: var(--muted); }
.fact-cmd { display: block; margin-top: 2px; white-space: pre-wrap; overflow-wrap: anywhere; }
.reasons { margin: 4px 0 0; padding-left: 1.2em; color: var(--stale); font-size: .85rem; }
.refresh { grid-column: 1 / -1; margin: 4px 0 0; font-size: .85rem; color: var(--muted); }
.refresh-failed { display: block; margin-top: 4px; color: var(--fail); font-weight: 600; }
.refresh-failed::before { content: "⚠ "; }
.matrix { width: 100%; border-collapse: separate; border-spacing: 0 8px; table-layout: fixed; }
.matrix thead th { text-align: left; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); font-weight: 600; padding: 0 6px; }
.matrix thead th:first-child { width: 170px; }
.matrix tbody th { text-align: left; font-weight: 600; padding: 0 10px 0 0; vertical-align: middle; font-size: .95rem; }
.matrix td { padding: 0 6px; vertical-align: top; }
.cell { all: unset; box-sizing: border-box; display: flex; flex-direction: column; gap: 3px; width: 100%; min-height: 100px;
  cursor: pointer; background: var(--panel); border: 1px solid var(--line); border-left: 5px solid var(--none);
  border-radius: 10px; padding: 10px 12px; font-size: .85rem; color: var(--text); }
.cell:hover { border-color: var(--muted); }
.cell:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.cell[aria-expanded="true"] { box-shadow: 0 0 0 2px var(--focus); }
.c-ok { border-left-color: var(--ok); } .c-fail { border-left-color: var(--fail); background: var(--fail-bg); }
.c-stale { border-left-color: var(--stale); background: var(--stale-bg); } .c-none { border-left-color: var(--none); }
.badge { font-weight: 700; font-size: .95rem; }
.b-ok { color: var(--ok); } .b-fail { color: var(--fail); } .b-stale { color: var(--stale); } .b-none { color: var(--none); }
.cell-top { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 0 8px; }
.cell .age { font-size: .75rem; color: var(--muted); margin-left: auto; }
.who { color: var(--text); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.who-name { font-weight: 600; }
.who.none, .streak { color: var(--muted); }
.oid { color: var(--muted); }
.strip { display: flex; align-items: flex-end; gap: 2px; height: 14px; margin-top: auto; padding-top: 4px; }
.tick { flex: 1 1 0; max-width: 9px; height: 5px; border-radius: 1px; background: var(--ok); opacity: .8; }
.t-fail { height: 14px; background: var(--fail); opacity: 1; }
.t-stale, .t-none { height: 9px; background: var(--none); }
.t-empty { height: 2px; background: var(--line); opacity: 1; }
.detail-row td { padding: 0 6px; }
.detail { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.d-fail { border-top: 4px solid var(--fail); } .d-ok { border-top: 4px solid var(--ok); }
.remedy { font-size: 1rem; margin: 0 0 10px; }
.command { display: flex; gap: 10px; align-items: flex-start; margin-bottom: 12px; flex-wrap: wrap; }
.command pre { flex: 1 1 420px; margin: 0; background: var(--code-bg); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.command-actions { display: flex; flex-direction: column; gap: 4px; }
.copy { font: inherit; font-size: .85rem; font-weight: 600; padding: 8px 14px; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--focus); background: var(--focus); color: var(--on-focus); }
.copy-status { font-size: .8rem; color: var(--muted); min-height: 1em; }
.detail .facts { grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); margin-bottom: 8px; }
.history-box summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
.history { margin: 6px 0 0; padding-left: 1.6em; font-size: .85rem; columns: 2 260px; }
.h-ok { color: var(--ok); } .h-fail { color: var(--fail); } .muted { color: var(--muted); }
.matrix tbody th .group-name { display: block; overflow-wrap: anywhere; }
.group-counts { display: block; font-size: .75rem; font-weight: 500; color: var(--muted); }
.gc-fail { color: var(--fail); font-weight: 600; }
.group-toggle, .tool { font: inherit; font-size: .75rem; padding: 2px 8px; margin-top: 4px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--line); background: var(--panel); color: var(--text); }
.tool { font-size: .85rem; padding: 4px 10px; margin: 0; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; margin: 0 0 4px; font-size: .9rem; }
.toolbar .filter { display: inline-flex; align-items: center; gap: 4px; cursor: pointer; font-weight: 600; }
.toolbar-note { color: var(--muted); font-size: .8rem; margin-left: auto; }
.collapsed { vertical-align: middle; }
.collapsed-note { display: block; padding: 8px 12px; border: 1px dashed var(--line); border-radius: 10px; color: var(--muted); font-size: .85rem; }
.undeclared { display: block; padding: 10px 12px; color: var(--muted); font-size: .8rem; }
.cell-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px; }
.m-wrap .cell { min-height: 0; }
.m-wrap tbody th, .matrix tbody th:has(+ .collapsed) { vertical-align: top; padding-top: 10px; }
.cell .res { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cell .expect { font-size: .75rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.cell .expect::before { content: "⊘ "; }
.filtered-note, .no-failing { margin: 6px 0 0; color: var(--muted); font-size: .85rem; }
.no-failing { padding: 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
.problems { background: var(--fail-bg); border: 1px solid var(--fail); border-radius: 12px; padding: 12px 16px; margin-bottom: 16px; }
.problems h2 { color: var(--fail); }
.problems p { margin: 0 0 8px; }
.problem-list { width: 100%; border-collapse: collapse; font-size: .85rem; }
.problem-list th { text-align: left; font-size: .7rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.problem-list th, .problem-list td { padding: 4px 8px 4px 0; vertical-align: top; overflow-wrap: anywhere; }
noscript p { background: var(--panel); padding: 12px; border-radius: 8px; }
@media (max-width: 760px) {
  #app { padding: 12px 10px 28px; }
  .top { grid-template-columns: 1fr; padding: 14px; }
  .verdict { font-size: 1.35rem; }
  .matrix, .matrix tbody, .matrix tr, .matrix td, .matrix tbody th { display: block; width: 100%; }
  .matrix thead { display: none; }
  .matrix tr.row { background: transparent; margin-top: 14px; }
  .matrix tbody th { padding: 0 2px 6px; }
  .matrix td { padding: 0 0 8px; }
  .matrix td::before { content: attr(data-label); display: block; font-size: .7rem; text-transform: uppercase;
    letter-spacing: .05em; color: var(--muted); margin: 0 0 2px 2px; }
  .cell { min-height: 0; }
  .detail-row td::before, .matrix td.cells::before, .matrix td.collapsed::before { content: none; }
  .toolbar-note { margin-left: 0; }
  .detail-row[hidden] { display: none; }
}
`;
