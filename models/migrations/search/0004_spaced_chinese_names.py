"""Search documents tokenized again: spaces between Chinese characters are read as none.

A dish named 鲜 毛肚 had no 鲜毛 token, so 鲜毛肚 (and xmd) found nothing, though the menu
treats the two names as one (models/search_tokens.py `index_tokens`).
"""

from importlib import import_module

from tortoise import migrations
from tortoise.migrations import operations as ops

# The same rewrite as 0003's: every document through today's tokenizer.
_retokenize = import_module("models.migrations.search.0003_traditional_and_pinyin")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_traditional_and_pinyin")]

    initial = False

    operations = [ops.RunPython(_retokenize.retokenize, _retokenize.keep)]
