"""Chapter sections: the logic behind each chapter notebook (frames, figures, sentences)."""
