from loadpulse.cli.app import main

main()
