"""Search: CJK-bigram token index over restaurants and dishes (one tokenizer, both backends)."""
