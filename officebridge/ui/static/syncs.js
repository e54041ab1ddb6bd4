// Inside Airflow the view is a same-origin iframe that may not navigate the top
// window; links to Airflow's own pages (a DAG, a run) are handed to Airflow's
// router instead, so they open in the main UI rather than inside the frame.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-airflow]");
  if (!link || window.top === window || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  try {
    window.top.history.pushState(null, "", link.getAttribute("href"));
    window.top.dispatchEvent(new PopStateEvent("popstate"));
    event.preventDefault();
  } catch (err) {
    // another origin: let the link open inside the frame
  }
});
