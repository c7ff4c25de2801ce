// Dev server only (never in a published build).
// 1. Shows the problems of the last failed rebuild over the page (content errors, or a bug in the portal).
// 2. After a rebuild, swaps in the page's new body instead of reloading the whole page (a livereload.js plugin;
//    the server names the changed file relative to its folder, such as `style.css`):
//    the change shows sooner and the reader keeps their place. Anything else (a changed stylesheet, a page with
//    its own script, a page that has gone) gets livereload's usual full reload.

function showProblems() {
  return fetch("/_dev/errors.json", { cache: "no-store" }).then((response) => {
    document.getElementById("dev-errors")?.remove();
    if (response.status !== 200) return; // 204: the last change built cleanly
    return response.json().then(({ problems }) => {
      const box = document.createElement("div");
      box.id = "dev-errors";
      box.setAttribute("role", "alert");
      box.className = "dev-errors";
      const heading = document.createElement("h2");
      heading.textContent = `The last change could not be built (${problems.length} ${problems.length === 1 ? "problem" : "problems"}). You are seeing the last good version.`;
      const list = document.createElement("ul");
      for (const problem of problems) {
        const item = document.createElement("li");
        item.textContent = problem;
        list.append(item);
      }
      box.append(heading, list);
      document.body.prepend(box);
    });
  }).catch(() => {});
}

// What a page loads in its head; a body can be swapped only if this stays the same.
function headAssets(doc) {
  return [...doc.head.querySelectorAll("link[rel=stylesheet], link[rel=icon], script[src]")]
    .map((element) => element.getAttribute("href") || element.getAttribute("src"))
    .filter((address) => !address.includes("livereload.js"))
    .join(" ");
}

function swapBody() {
  fetch(location.href, { cache: "no-store" })
    .then((response) => {
      if (response.status !== 200 || response.redirected) throw new Error("not the same page");
      return response.text();
    })
    .then((html) => {
      const next = new DOMParser().parseFromString(html, "text/html");
      if (headAssets(next) !== headAssets(document) || next.querySelector("script[type=module]")) {
        throw new Error("not only the content changed");
      }
      document.title = next.title;
      document.body.replaceWith(document.adoptNode(next.body));
      return showProblems();
    })
    .catch(() => location.reload());
}

function PortalBodySwap() {}
PortalBodySwap.identifier = "portal-body-swap";
PortalBodySwap.version = "1.0";
PortalBodySwap.prototype.reload = function (path) {
  if (/\.css$/i.test(path) || document.querySelector("script[type=module]")) return false;
  swapBody();
  return true;
};

// livereload.js adds every window.LiveReloadPlugin… it finds when it starts, or takes one later with addPlugin.
window.LiveReloadPluginPortalBodySwap = PortalBodySwap;
if (window.LiveReload) window.LiveReload.addPlugin(PortalBodySwap);

showProblems();
