"""Question banks: questions stored as first-class records inside a bank material (issue 7)."""
