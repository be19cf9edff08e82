"""Result workbooks and the terminal summary, formatted for people."""
