"""Theme practices and their activities (S24, S25), and members' "four ones" (四个一, S18)
recorded by the member (self-service) or the branch and confirmed by the branch."""
