SELECT highest_token FROM participant_fence WHERE id = 1
