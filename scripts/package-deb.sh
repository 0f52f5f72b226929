#!/usr/bin/env bash
# Builds the Debian package dist-deb/virt-agent_<version>_<arch>.deb with
# dpkg-deb: the compiled app, its production node_modules and the libvirt
# binding under /usr/lib/virt-agent; wrappers in /usr/bin; the systemd units;
# the default configuration in /etc/virt-agent (conffiles); man pages,
# copyright and changelog. Packaging sources live in packaging/.
#   bash scripts/package-deb.sh            (VIRT_AGENT_DEB_OUT=dir to build elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${VIRT_AGENT_DEB_OUT:-$ROOT/dist-deb}
PREFIX=/usr/lib/virt-agent
started=$(date +%s%N)
log() { echo "package-deb: $*" >&2; }
die() { log "$*"; exit 1; }

# dpkg-shlibdeps and dpkg-parsechangelog (dpkg-dev), strip (binutils).
missing=()
for p in dpkg-dev binutils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" -eq 0 ] || die "install ${missing[*]} (as root) first"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
# npm ci and the libvirt binding when missing or stale.
bash scripts/setup.sh >&2

version=$(node -p 'require("./package.json").version')
changelog_version=$(dpkg-parsechangelog -l packaging/deb/changelog -S Version)
[ "$version" = "$changelog_version" ] ||
  die "package.json is version $version but packaging/deb/changelog's newest entry is $changelog_version: add a changelog entry"
arch=$(dpkg --print-architecture)
deb="$OUT/virt-agent_${version}_${arch}.deb"

stage="$OUT/stage"
app="$stage$PREFIX"
rm -rf "$stage" "$deb"
mkdir -p "$app/build/Release" "$stage/DEBIAN"

# The app: a clean compile (no stale files, no source maps), protos, binding.
cp package.json package-lock.json "$app/"
cp -r proto "$app/"
npx tsc -p tsconfig.json --outDir "$app/dist" --sourceMap false
install -m 0644 build/Release/virt_libvirt.node build/Release/virt_notify.node "$app/build/Release/"

# Production node_modules: the development tree minus devDependencies (npm
# prune works from the lock file, offline), then what only building needed.
cp -a node_modules "$app/"
(cd "$app" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline --loglevel=error >/dev/null)
rm -rf "$app/package-lock.json" "$app/node_modules/.package-lock.json" "$app/node_modules/.bin"
bs="$app/node_modules/better-sqlite3"
mv "$bs/build/Release/better_sqlite3.node" "$stage/better_sqlite3.node"
rm -rf "$bs/build" "$bs/deps" "$bs/src"   # SQLite sources and object files
mkdir -p "$bs/build/Release" && mv "$stage/better_sqlite3.node" "$bs/build/Release/"
# Not used at run time: dot files (.npmignore, .eslintrc, CI and VCS files),
# packages' own tests and examples, type declarations, source maps, READMEs
# and HTML docs. License texts stay (the copyright file repeats them).
find "$app/node_modules" -mindepth 1 -name '.*' -prune -exec rm -rf {} +
(cd "$app/node_modules" && find . -regextype posix-extended -type d \
  -regex '\./(@[^/]+/)?[^/]+/(test|tests|__tests__|example|examples|benchmark|benchmarks)' -prune -exec rm -rf {} +)
find "$app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o -name '*.html' -o -iname '*.markdown' -o \( -iname '*.md' ! -iname 'licen?e*' \) \) -delete
find "$app/node_modules" -depth -type d -empty -delete
# As dh_strip does: debugging symbols and comment/note sections out.
find "$app" -name '*.node' -exec strip --remove-section=.comment --remove-section=.note --strip-unneeded {} +

# Commands, units, configuration, documentation.
mkdir -p "$stage/usr/bin"
for cmd in virt-agent virt-controller virtctl; do
  printf '#!/bin/sh\nexec /usr/bin/node %s/dist/cli/%s.js "$@"\n' "$PREFIX" "$cmd" >"$stage/usr/bin/$cmd"
done
install -D -m 0644 -t "$stage/lib/systemd/system" systemd/virt-agent.service systemd/virt-controller.service
install -D -m 0644 -t "$stage/etc/virt-agent" packaging/etc/agent.json packaging/etc/controller.json
install -D -m 0644 -t "$stage/usr/share/man/man8" packaging/man/virt-agent.8 packaging/man/virt-controller.8
install -D -m 0644 -t "$stage/usr/share/man/man1" packaging/man/virtctl.1
doc="$stage/usr/share/doc/virt-agent"
install -D -m 0644 packaging/deb/changelog "$doc/changelog"   # native package: changelog.gz
install -m 0644 README.md "$doc/README.md"
# Grafana dashboard and Prometheus alert rules (+ their promtool tests, a scrape config) as examples.
install -D -m 0644 -t "$doc/examples/grafana" deploy/grafana/virt-agent-fleet.json
install -D -m 0644 -t "$doc/examples/prometheus" deploy/prometheus/virt-agent-alerts.yml \
  deploy/prometheus/virt-agent-alerts.test.yml deploy/prometheus/prometheus.example.yml
gzip -9n "$doc/changelog" "$doc/README.md" "$stage"/usr/share/man/man*/*
node packaging/deb/copyright.js "$app" "${PREFIX#/}" >"$doc/copyright"
if [ -f packaging/deb/lintian-overrides ]; then # each override with a comment saying why
  install -D -m 0644 packaging/deb/lintian-overrides "$stage/usr/share/lintian/overrides/virt-agent"
fi

# Owners come from dpkg-deb (root); modes are normalized here.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage"/usr/bin/*
# Scripts keep an executable mode (their #! line says how to run them).
find "$app" -type f -exec sh -c 'for f; do [ "$(head -c2 "$f")" = "#!" ] && chmod 0755 "$f"; done; true' sh {} +

# Depends: Node of the major the native modules were built for (better-sqlite3
# links against V8's ABI, NODE_MODULE_VERSION, which changes with every
# major), the libraries the binaries link (dpkg-shlibdeps finds libvirt0),
# adduser for the controller's system user.
node_major=$(node -p 'process.versions.node.split(".")[0]')
node_min=$(node -p "const e = require('./package.json').engines.node; (e.match(/>=\\s*(${node_major}(?:\\.\\d+)*)/) || [0, '${node_major}'])[1]")
shlib_dir=$(mktemp -d)
trap 'rm -rf "$shlib_dir"' EXIT
mkdir "$shlib_dir/debian"
printf 'Source: virt-agent\n\nPackage: virt-agent\nArchitecture: any\n' >"$shlib_dir/debian/control"
mapfile -t objects < <(find "$app" -name '*.node')
shlibs=$(cd "$shlib_dir" && dpkg-shlibdeps -O "${objects[@]/#/-e}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no shared-library dependencies"
depends="nodejs (>= ${node_min}), nodejs (<< $((node_major + 1))), ${shlibs}, adduser"

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
maintainer=$(dpkg-parsechangelog -l packaging/deb/changelog -S Maintainer)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  -e "s/@DEPENDS@/$depends/" -e "s/@MAINTAINER@/$maintainer/" packaging/deb/control.in >"$stage/DEBIAN/control"
printf '/etc/virt-agent/agent.json\n/etc/virt-agent/controller.json\n' >"$stage/DEBIAN/conffiles"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

# Reproducible: every mtime is the last commit's time.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"

elapsed_ms=$((($(date +%s%N) - started) / 1000000))
log "built $deb ($(du -k "$deb" | cut -f1) KiB, installed ${installed_size} KiB) in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
log "Depends: $depends"
echo "$deb"
