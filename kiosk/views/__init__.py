"""Blueprints, one per audience. Views stay thin: parse, call a module, render."""
