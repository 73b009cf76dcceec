"""The saliency audit of the Bayesian CNN (Su et al.): where the model and the volunteers
disagree most, and the look-alike galaxies that tell whose reading is wrong."""
