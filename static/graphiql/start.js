// Tablemates GraphiQL: vendored React + GraphiQL (static/graphiql/refresh.sh), no CDN.
// The page embeds its config: endpoint, example tabs (static/graphiql/examples/*.graphql) and
// an Authorization header template. `?autorun` executes the first tab once it has rendered.
(function () {
  var config = JSON.parse(document.getElementById("tablemates-graphiql").textContent);
  var fetcher = GraphiQL.createFetcher({ url: config.url });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: config.tabs,
      defaultHeaders: config.headers,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
    })
  );
  if (new URLSearchParams(window.location.search).has("autorun")) {
    var tries = 0;
    var timer = setInterval(function () {
      var button = document.querySelector(".graphiql-execute-button");
      if (button || ++tries > 100) {
        clearInterval(timer);
        if (button) button.click();
      }
    }, 100);
  }
})();
