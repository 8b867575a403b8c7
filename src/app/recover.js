// A page whose Wasm has trapped is dead: its buttons and links no longer
// answer. When the trap comes from a page's own file that could not be
// fetched (a deploy since this page was opened removed it, or the network
// dropped it; the panic hook in lib.rs marks the page), load afresh, once,
// the page the person just asked for (the link they clicked) or else this
// one: the server's HTML names the files that exist now. Never twice for
// the same address within a minute, so a page that cannot come alive at
// all stays readable instead of reloading without end. Leaving the page (a
// link out, a typed address, a form post) cancels its downloads, which
// fails them too: that is not the page dying, and it must not take the
// person back, so nothing happens while a navigation away is under way.
(() => {
  const key = "statusstack:reloaded-after-trap";
  let asked = null;
  let leftAt = 0;
  addEventListener("beforeunload", () => {
    leftAt = Date.now();
  });
  addEventListener(
    "click",
    (event) => {
      const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (link && link.origin === location.origin) asked = { href: link.href, at: Date.now() };
    },
    true,
  );
  const recover = (error) => {
    if (!(error instanceof WebAssembly.RuntimeError)) return;
    if (!document.documentElement.hasAttribute("data-page-file-failed")) return;
    // A navigation that went nowhere (a download, a 204) leaves the page
    // here: after 10 s it may be recovered again.
    if (Date.now() - leftAt < 10000) return;
    const target = asked && Date.now() - asked.at < 30000 ? asked.href : location.href;
    try {
      const last = JSON.parse(sessionStorage.getItem(key) || "null");
      if (last && last.url === target && Date.now() - last.at < 60000) return;
      sessionStorage.setItem(key, JSON.stringify({ url: target, at: Date.now() }));
    } catch (_) {
      return;
    }
    if (target === location.href) location.reload();
    else location.assign(target);
  };
  addEventListener("error", (event) => recover(event.error));
  addEventListener("unhandledrejection", (event) => recover(event.reason));
})();
