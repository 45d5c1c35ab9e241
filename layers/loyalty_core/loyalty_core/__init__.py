"""The shared layer of the loyalty membership service: models, rules, storage, protocols."""
