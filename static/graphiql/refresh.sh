#!/usr/bin/env bash
# Refresh the vendored GraphiQL (and the React it runs on) from the npm registry, with licences.
# GraphiQL is served from here, not a CDN: it must work offline and where unpkg is unreachable.
#   static/graphiql/refresh.sh            # the pinned versions below
#   GRAPHIQL=3.8.3 REACT=18.2.0 static/graphiql/refresh.sh
# GraphiQL 3 and React 18 are the last versions with browser (UMD) builds; GraphiQL 4+ needs a bundler.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL="${GRAPHIQL:-3.8.3}"
REACT="${REACT:-18.2.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for tarball in "$work"/*.tgz; do
  name="$(basename "$tarball" | sed -E 's/-[0-9][^-]*\.tgz$//')"
  mkdir -p "$work/$name" && tar -xzf "$tarball" -C "$work/$name" --strip-components=1
done
mkdir -p vendor licenses
cp "$work/graphiql/graphiql.min.js" "$work/graphiql/graphiql.min.css" vendor/
cp "$work/react/umd/react.production.min.js" vendor/
cp "$work/react-dom/umd/react-dom.production.min.js" vendor/
for name in graphiql react react-dom; do
  cp "$work/$name/LICENSE" "licenses/$name.LICENSE"
done
printf 'graphiql %s\nreact %s\nreact-dom %s\n' "$GRAPHIQL" "$REACT" "$REACT" > VERSIONS
echo "vendored: $(tr '\n' ' ' < VERSIONS)"
