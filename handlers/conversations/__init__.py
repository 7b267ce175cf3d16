"""The conversations with owners, staff and officials: plain inputs in, plain outputs out."""
