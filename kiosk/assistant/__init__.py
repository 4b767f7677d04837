"""The assistant: understanding what the resident typed, and the guided flow."""
