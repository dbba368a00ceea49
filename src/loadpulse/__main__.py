from loadpulse.cli.entry import main

main()
