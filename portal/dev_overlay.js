// Dev server only (never in a published build): shows content errors from the last failed rebuild over the page.
fetch("/_dev/errors.json", { cache: "no-store" }).then((response) => {
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
