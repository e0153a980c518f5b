"""Test papers (đề kiểm tra): exam matrices, drawing from published question banks, shuffled versions
(mã đề) with their keys, printable PDF/DOCX output and online practice with automatic grading."""
