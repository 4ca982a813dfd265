// Package graphiql serves GraphiQL, the in-browser GraphQL IDE, from the
// binary itself: its scripts and styles are embedded (GraphiQL 3.8.3,
// React 18.3.1, from their npm packages, with their licenses), so it works
// on a machine without internet access. The page lets a person set the
// Authorization header in its headers pane and speaks subscriptions over
// graphql-transport-ws on the same URL.
package graphiql

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// AssetsPath is where the assets are served. It names the GraphiQL version,
// so that browsers may keep them for good and a new version is a new path.
const AssetsPath = "/graphiql/3.8.3/"

// Assets serves the embedded scripts, styles and licenses under AssetsPath.
func Assets() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil { // the embedded folder is always there
		panic(err)
	}
	files := http.StripPrefix(AssetsPath, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// Page serves the GraphiQL page for the GraphQL endpoint at path.
func Page(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_ = page.Execute(w, struct{ Assets, Endpoint string }{AssetsPath, path})
	})
}

var page = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>portalgraph — GraphiQL</title>
  <link rel="stylesheet" href="{{.Assets}}graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="{{.Assets}}react.production.min.js"></script>
  <script src="{{.Assets}}react-dom.production.min.js"></script>
  <script src="{{.Assets}}graphiql.min.js"></script>
  <script>
    const url = new URL({{.Endpoint}}, window.location.href);
    const subscriptionUrl = new URL(url);
    subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: "{}",
        defaultQuery: "# Sign in with a token: put {\"Authorization\": \"Bearer pgt_…\"} in Headers below,\n" +
          "# then reload the schema (the arrows at the bottom left).\n{ viewer { audience } }\n",
        shouldPersistHeaders: true,
        defaultEditorToolsVisibility: "headers",
      }),
    );
  </script>
</body>
</html>
`))
