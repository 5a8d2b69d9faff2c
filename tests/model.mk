# model.mk - the model tests write synthetic models with the shared writer of
# examples/common (also used by make demo and the benchmarks): link it into
# the test runner too.
$(TEST_RUNNER): $(BUILD)/obj/examples/common/synth_model.o
$(BUILD)/obj/tests/%.o: CPPFLAGS += -Iexamples/common
