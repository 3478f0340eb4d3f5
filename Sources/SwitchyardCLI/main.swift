import SwitchyardCommands

await SwitchyardCommand.runCommandLine()
