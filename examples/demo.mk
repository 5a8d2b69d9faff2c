# demo.mk - `make demo` (CONVENTIONS §1): builds everything, writes the demo
# model once (llama shape, RANDOM weights, small byte-level vocabulary: its
# text is noise), then runs hearth-generate on it; speed figures on stderr.
DEMO_MODEL := $(BUILD)/demo-model.gguf

# Programs in examples/ include the helpers of examples/common.
$(BUILD)/obj/examples/%.o: CPPFLAGS += -Iexamples/common

$(DEMO_MODEL): | $(BUILD)/bin/hearth-synth
	$(BUILD)/bin/hearth-synth $@ --dim 512 --layers 8 --ff 1536 --heads 8 --kv-heads 4 \
	  --vocab 4096 --type Q8_0 --seed 42

.PHONY: demo run-demo
demo: ensure-deps
	@$(MAKE) --no-print-directory run-demo
run-demo: all $(DEMO_MODEL)
	$(BUILD)/bin/hearth-generate -m $(DEMO_MODEL) -p "Once upon a time" -n 64 --seed 42
	@echo "(the demo model has random weights: its text is noise; see README for real models)" >&2
