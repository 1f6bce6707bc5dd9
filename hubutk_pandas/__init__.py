"""hubutk-pandas."""
