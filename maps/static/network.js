/* corridors: draws the network map's layers (lines and markers) from plain data.
   Inlined into network and comparison maps; it loads nothing from the network, and it only
   touches Leaflet when its functions are called. */
(function (root) {
  "use strict";
  var C = (root.corridors = root.corridors || {});
  C.layers = C.layers || [];

  function icon(spec) {
    return L.divIcon({
      className: "corridors-icon",
      html: spec.html,
      iconSize: [spec.size, spec.size],
      iconAnchor: [spec.size / 2, spec.size / 2],
      popupAnchor: [0, -spec.size / 2],
      tooltipAnchor: [spec.size / 2, 0],
    });
  }

  /* One toggleable layer: data.lines = [weight, tooltip, [[lat, lon], ...]],
     data.markers = [kind, lat, lon, tooltip, popupHtml]; data.style = Leaflet path options
     (weight 0 in a line means the style's weight). Lines are drawn on the map's canvas. */
  C.addNetworkLayer = function (group, data, icons) {
    var st = data.style || {};
    data.lines.forEach(function (l) {
      var line = L.polyline(l[2], {
        color: st.color,
        weight: (l[0] || st.weight || 2) + (st.extraWeight || 0),
        opacity: st.opacity === undefined ? 0.9 : st.opacity,
        dashArray: st.dashArray || null,
        lineCap: st.dashArray ? "butt" : "round",
        lineJoin: "round",
      });
      line.bindTooltip(l[1], { sticky: true });
      if (data.popup) line.bindPopup(data.popup, { maxWidth: 380 });
      line.addTo(group);
    });
    data.markers.forEach(function (m) {
      var mk = L.marker([m[1], m[2]], { icon: icon(icons[m[0]]), zIndexOffset: 300 });
      mk.bindTooltip(m[3]);
      mk.bindPopup(m[4], { maxWidth: 380 });
      mk.addTo(group);
    });
    C.layers.push({
      id: data.id,
      name: data.name,
      group: group,
      lines: data.lines.length,
      markers: data.markers.length,
    });
  };
})(window);
