from certdesk.cli import main

main()
