#!/usr/bin/env bash
# Builds the jar, then compiles and runs the JUnit 4 tests (Debian's junit4
# package) and the examples. Needs the tether binary (target/debug/tether, or
# TETHER_BIN) and a python3 with the tether package (.venv/bin/python, or
# TETHER_PYTHON). Pass test class names (VectorsTest ...) to run only those.
set -euo pipefail
cd "$(dirname "$0")"
./build.sh
junit=${JUNIT_JAR:-/usr/share/java/junit4.jar}
hamcrest=${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}
rm -rf build/test-classes
mkdir -p build/test-classes
cp="build/tether.jar:$junit:$hamcrest"
javac --release 17 -Xlint:all,-try -Werror -cp "$cp" -d build/test-classes \
    $(find test examples balls bench -name '*.java' | sort)
if (($#)); then
    classes=("${@/#/tether.}")
else
    mapfile -t classes < <(cd test && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
fi
java -cp "build/test-classes:$cp" -Dtether.root="$(cd ../.. && pwd)" org.junit.runner.JUnitCore "${classes[@]}"
