// The wall screen's rotation, in the browser: no server round trip, nothing re-rendered but
// the deck's class (which view shows), the title, the position dots and the progress bar.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
        rotate: function (n, playlist) {
            const count = playlist.views.length;
            const index = (n || 0) % count;
            const dots = playlist.views.map((_, i) => (i === index ? "●" : "○")).join(" ");
            // Two identical keyframes, alternated, restart the bar's animation at every step.
            const progress = count < 2 ? {display: "none"} : {
                animationName: (n || 0) % 2 ? "wall-progress-a" : "wall-progress-b",
                animationDuration: playlist.seconds + "s",
            };
            return ["wall-deck show-" + index, playlist.titles[index], dots, progress];
        },
    },
});
