"""Tooling around the recognizer (command lines, file transcription), apart from the
runtime that calls use. Nothing in `asr` outside this package imports it."""
