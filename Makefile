# The two commands a new user needs (see README.md):
#   make run    set up, build and start the server on 127.0.0.1:8000 with embedded defaults
#   make test   set up, build (warnings as errors) and run the whole test suite
.PHONY: setup run test fuzz build bench clean

setup:
	scripts/setup

# Only what serving needs: the server and the console (the suite and benchmarks build in `make test`).
build: setup
	cmake --preset release
	cmake --build --preset release --target sluice_server sluice_console

run: build
	build/release/sluice serve --host 127.0.0.1 --port 8000

test: setup
	cmake --preset ci
	cmake --build --preset ci
	ctest --preset ci
	$(MAKE) fuzz

# Every libFuzzer target, a bounded run each from its committed seeds (see fuzz/CMakeLists.txt).
fuzz:
	cmake --preset fuzz
	cmake --build --preset fuzz --target fuzz_all
	ctest --preset fuzz

bench:
	scripts/setup --bench
	bench/http.sh

clean:
	rm -rf build
