from rlsafe.run import main

main()
