#!/usr/bin/env bash
# Reproducible-build check: builds the published modules' jars (classes, sources, Javadoc) and
# their flattened POMs twice from clean, and fails unless both builds are byte-identical.
# project.build.outputTimestamp (parent POM) fixes every archive entry's time; anything else
# that leaks the build's time, path, user or order into an artifact makes this fail.
# Usage: .ci/reproducible.sh   (about a minute on the 2-core reference machine)
set -euo pipefail
cd "$(dirname "$0")/.."

modules=safethread-core,safethread-micrometer
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

build() {
    mvn -B -q -pl "$modules" -am clean package -DskipTests -Dspotbugs.skip=true >"$out/build-$1.log" 2>&1 \
        || { tail -n 60 "$out/build-$1.log"; echo "reproducible.sh: build $1 failed"; exit 1; }
    mkdir -p "$out/$1"
    for m in ${modules//,/ }; do
        cp "$m"/target/*.jar "$out/$1/"
        cp "$m"/.flattened-pom.xml "$out/$1/$m.pom"
    done
}

build 1
sleep 2   # a build that leaks the wall-clock time would now differ by at least a second
build 2

(cd "$out/1" && sha256sum -- *) > "$out/sums-1"
(cd "$out/2" && sha256sum -- *) > "$out/sums-2"
if ! diff -u "$out/sums-1" "$out/sums-2"; then
    echo "reproducible.sh: the two builds differ (above); compare the jars with diffoscope or unzip -l"
    exit 1
fi
echo "reproducible.sh: $(wc -l <"$out/sums-1") artifacts byte-identical across two clean builds:"
sed 's/^/  /' "$out/sums-1"
