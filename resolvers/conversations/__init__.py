"""Conversations: one-to-one and per-meal group messages, unread counts, live delivery."""
