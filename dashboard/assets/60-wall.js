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

// A wall screen whose link was revoked (or whose session ended) gets 401 from its next refresh:
// leave the numbers and go to the sign-in page, so a revoked screen shows nothing.
(function () {
    const send = window.fetch;
    window.fetch = function () {
        return send.apply(this, arguments).then(function (response) {
            if (response.status === 401 && document.querySelector(".wall")) {
                window.location.assign("/login?next=%2Fwall");
            }
            return response;
        });
    };
})();
