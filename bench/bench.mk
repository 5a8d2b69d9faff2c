# bench.mk - `make bench`: the README's speed command. Runs hearth-bench on its
# default synthetic TinyLlama-shaped Q4_0 model (written once under build/),
# pp512 and tg128 at 1 and 2 threads. BENCH_ARGS adds or overrides flags.
BENCH_ARGS ?= -p 512 -n 128 -t 1,2 -r 3
.PHONY: bench
bench: all
	$(BUILD)/bin/hearth-bench $(BENCH_ARGS)
