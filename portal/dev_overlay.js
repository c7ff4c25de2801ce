// Dev server only (never in a published build).
// 1. Shows the problems of the last failed rebuild over the page (content errors, or a bug in the portal).
// 2. Listens on the server's websocket, which names the files each rebuild changed relative to their folder (such
//    as `style.css`), and brings the page up to date without reloading it where it can: a changed stylesheet is
//    swapped in place; anything else swaps in the page's new body, so the change shows sooner and the reader keeps
//    their place. A page with its own script (search), a page that has gone or whose head changed reloads in full.

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

// What a page loads in its head besides stylesheets; a body can be swapped only if this stays the same.
function headAssets(doc) {
  return [...doc.head.querySelectorAll("link[rel=icon], script[src]")]
    .map((element) => element.getAttribute("href") || element.getAttribute("src"))
    .join(" ");
}

// Points the page's stylesheets at the new page's: an asset's address names its content (?v=hash), so a changed
// stylesheet has a new one, which the browser loads and applies in place. False if they do not pair up.
function restyle(next) {
  const now = [...document.head.querySelectorAll("link[rel=stylesheet]")];
  const then = [...next.head.querySelectorAll("link[rel=stylesheet]")];
  if (now.length !== then.length) return false;
  now.forEach((link, index) => {
    const address = then[index].getAttribute("href");
    if (link.getAttribute("href") !== address) link.setAttribute("href", address);
  });
  return true;
}

function update(changed) {
  const stylesOnly = changed.length > 0 && changed.every((path) => /\.css$/i.test(path));
  if (!stylesOnly && document.querySelector("script[type=module]")) return location.reload();
  return fetch(location.href, { cache: "no-store" })
    .then((response) => {
      if (response.status !== 200 || response.redirected) throw new Error("not the same page");
      return response.text();
    })
    .then((html) => {
      const next = new DOMParser().parseFromString(html, "text/html");
      if (headAssets(next) !== headAssets(document) || !restyle(next) ||
          (!stylesOnly && next.querySelector("script[type=module]"))) {
        throw new Error("not only the content changed");
      }
      if (!stylesOnly) {
        document.title = next.title;
        document.body.replaceWith(document.adoptNode(next.body));
      }
      return showProblems();
    })
    .catch(() => location.reload());
}

// One update at a time, in the order the rebuilds happened; after the server restarts, one to catch up.
let updates = Promise.resolve();
let connected = false;
let retry = 250;

function listen() {
  const socket = new WebSocket(`ws://${location.host}/_dev/socket`);
  socket.addEventListener("open", () => {
    if (connected) updates = updates.then(() => update([]));
    connected = true;
    retry = 250;
  });
  socket.addEventListener("message", (event) => {
    const { changed } = JSON.parse(event.data);
    updates = updates.then(() => update(changed));
  });
  socket.addEventListener("close", () => {
    setTimeout(listen, retry);
    retry = Math.min(retry * 2, 4000);
  });
}

listen();
showProblems();
