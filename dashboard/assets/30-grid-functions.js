// Functions that AG Grid options name as {"function": "..."}: dash-ag-grid looks them up here.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// A CSV cell a spreadsheet would run as a formula (starting =, +, -, @, tab or CR) gets a
// leading ' so it opens as the text it is.
dagfuncs.csvSafeCell = function (params) {
  var value = params.value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(value)) {
    return "'" + value;
  }
  return value;
};
