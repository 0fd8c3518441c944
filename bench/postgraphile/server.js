// The peer of bench/knn.py: PostGraphile 4 + @graphile/postgis over the benchmark database,
// exposing only the bench-only schema `bench_knn` (one KNN SQL function, created by bench/knn.py).
//
//   DATABASE_URL=postgres://... PORT=5678 WORKERS=2 node server.js
//
// WORKERS processes (node's cluster module) share the port, as `app.py serve --workers N` does.
// Each prints "ready" once its schema is built.
"use strict";

const cluster = require("node:cluster");
const http = require("node:http");
const { postgraphile } = require("postgraphile");
const PostgisPlugin = require("@graphile/postgis").default;

const port = Number(process.env.PORT || 5678);
const workers = Number(process.env.WORKERS || 2);

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`worker ${worker.process.pid} exited ${code}`);
    process.exitCode = 1;
  });
  process.on("SIGTERM", () => {
    for (const id in cluster.workers) cluster.workers[id].kill("SIGTERM");
    process.exit(0);
  });
} else {
  const middleware = postgraphile(process.env.DATABASE_URL, process.env.SCHEMA || "bench_knn", {
    appendPlugins: [PostgisPlugin],
    graphiql: false,
    watchPg: false,
    disableQueryLog: true,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    retryOnInitFail: false,
  });
  http.createServer(middleware).listen(port, "127.0.0.1", () => console.log("ready"));
}
