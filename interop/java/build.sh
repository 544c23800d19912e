#!/usr/bin/env bash
# Builds interop/java/build/tether.jar with the JDK alone (javac and jar, Java 17).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf build/classes
mkdir -p build/classes
javac --release 17 -Xlint:all -Werror -d build/classes $(find src -name '*.java' | sort)
jar --create --file build/tether.jar -C build/classes .
echo "built interop/java/build/tether.jar"
