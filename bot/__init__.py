"""The running program: config, CLI, wiring, front ends, scheduler, outbox sender, translator."""
