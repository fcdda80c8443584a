/// aerender output recorded from renders of a 30 fps leaderboard template, kept as Swift string
/// literals: a Swift file is compiled into the test target, whereas a text file here would be an
/// undeclared resource and make SwiftPM warn (Package.swift declares no resources).
enum AerenderTranscripts {
    /// `aerender -project leaderboard.aep -comp Main -output 7-1.mov -RStemplate "Best Settings"
    /// -OMtemplate "Apple ProRes 422" -s 0 -e 29`: the header, 30 frames, the summary.
    static let success = """
        aerender version 23.6x73
        PROGRESS:  1/15/2025 2:03:11 PM: Starting composition “Main”.
        PROGRESS:  
        PROGRESS:  Render Settings: Best Settings
        PROGRESS:      Quality: Best
        PROGRESS:      Resolution: Full
        PROGRESS:      Size: 1920 x 1080
        PROGRESS:      Proxy Use: Use No Proxies
        PROGRESS:      Effects: Current Settings
        PROGRESS:      Disk Cache: Read Only
        PROGRESS:      Color Depth: Current Settings
        PROGRESS:      Frame Blending: On for Checked Layers
        PROGRESS:      Field Render: Off
        PROGRESS:      Pulldown: Off
        PROGRESS:      Motion Blur: On for Checked Layers
        PROGRESS:      Solo Switches: Current Settings
        PROGRESS:      Time Span: Custom
        PROGRESS:      Start: 0:00:00:00
        PROGRESS:      End: 0:00:00:29
        PROGRESS:      Duration: 0:00:01:00
        PROGRESS:      Frame Rate: 30.00 (comp)
        PROGRESS:      Guide Layers: All Off
        PROGRESS:      Skip Existing Files: Off
        PROGRESS:  
        PROGRESS:  Output Module: Apple ProRes 422
        PROGRESS:      Output To: /srv/renders/7-1.mov
        PROGRESS:      Format: QuickTime
        PROGRESS:      Output Info: Apple ProRes 422
        PROGRESS:      Output Audio: Off
        PROGRESS:      Channels: RGB
        PROGRESS:      Depth: Millions of Colors
        PROGRESS:      Color: Premultiplied (Matted)
        PROGRESS:      Resize: -
        PROGRESS:      Crop: -
        PROGRESS:      Final Size: 1920 x 1080
        PROGRESS:      Profile: -
        PROGRESS:      Post-Render Action: None
        PROGRESS:  
        PROGRESS:  0:00:00:00 (1): 0 Seconds
        PROGRESS:  0:00:00:01 (2): 0 Seconds
        PROGRESS:  0:00:00:02 (3): 0 Seconds
        PROGRESS:  0:00:00:03 (4): 0 Seconds
        PROGRESS:  0:00:00:04 (5): 0 Seconds
        PROGRESS:  0:00:00:05 (6): 0 Seconds
        PROGRESS:  0:00:00:06 (7): 0 Seconds
        PROGRESS:  0:00:00:07 (8): 0 Seconds
        PROGRESS:  0:00:00:08 (9): 1 Seconds
        PROGRESS:  0:00:00:09 (10): 1 Seconds
        PROGRESS:  0:00:00:10 (11): 1 Seconds
        PROGRESS:  0:00:00:11 (12): 1 Seconds
        PROGRESS:  0:00:00:12 (13): 1 Seconds
        PROGRESS:  0:00:00:13 (14): 1 Seconds
        PROGRESS:  0:00:00:14 (15): 1 Seconds
        PROGRESS:  0:00:00:15 (16): 2 Seconds
        PROGRESS:  0:00:00:16 (17): 2 Seconds
        PROGRESS:  0:00:00:17 (18): 2 Seconds
        PROGRESS:  0:00:00:18 (19): 2 Seconds
        PROGRESS:  0:00:00:19 (20): 2 Seconds
        PROGRESS:  0:00:00:20 (21): 2 Seconds
        PROGRESS:  0:00:00:21 (22): 2 Seconds
        PROGRESS:  0:00:00:22 (23): 3 Seconds
        PROGRESS:  0:00:00:23 (24): 3 Seconds
        PROGRESS:  0:00:00:24 (25): 3 Seconds
        PROGRESS:  0:00:00:25 (26): 3 Seconds
        PROGRESS:  0:00:00:26 (27): 3 Seconds
        PROGRESS:  0:00:00:27 (28): 3 Seconds
        PROGRESS:  0:00:00:28 (29): 4 Seconds
        PROGRESS:  0:00:00:29 (30): 4 Seconds
        PROGRESS:  1/15/2025 2:03:17 PM: Finished composition “Main”.
        PROGRESS:  
        PROGRESS:  Total Time Elapsed: 6 Seconds
        PROGRESS:  Log closed on 1/15/2025 2:03:17 PM
        """

    /// The same render against a project without a composition named "Main": no frames, two
    /// error lines, exit status 1.
    static let missingComposition = """
        aerender version 23.6x73
        PROGRESS:  Launching After Effects...
        PROGRESS:  Opening project /srv/templates/leaderboard.aep
        aerender Error: After Effects error: Couldn’t find composition named "Main".
        aerender ERROR: No comp was found with the given name.
        PROGRESS:  Log closed on 1/15/2025 2:04:02 PM
        """
}
