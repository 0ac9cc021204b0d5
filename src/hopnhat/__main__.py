from hopnhat.cli import main

main()
